// EIP-1898 {blockHash} of genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0xd0620d92c239fc49255c7b6fabad81d811184ecf1da15924a7c5368f1d35ff1a"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
