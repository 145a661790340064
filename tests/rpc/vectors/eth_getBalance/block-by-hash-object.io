// EIP-1898 {blockHash} of genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0xe86e7049a36db1795232006c66a872b79f7bae9af174a2092173b09b8863179c"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
