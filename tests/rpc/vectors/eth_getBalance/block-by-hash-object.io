// EIP-1898 {blockHash} of genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0xb261ac4620cd8c9a9c6188c6e85ca73eb8d53fb381061b2bf4da5ce1fbf7c6ba"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
