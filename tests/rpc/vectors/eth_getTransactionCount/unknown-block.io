// at an unknown block: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0xabababababababababababababababababababababababababababababababab"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0xabababababababababababababababababababababababababababababababab not found"}}
