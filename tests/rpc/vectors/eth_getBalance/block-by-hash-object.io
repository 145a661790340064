// EIP-1898 {blockHash} of genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0x9237926cb0b3fa3776249781570d5a5523e73b8081f9df87b4ac794aacce0702"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
