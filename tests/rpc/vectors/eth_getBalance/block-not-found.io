// a block beyond the head: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x5"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0x5 not found"}}
