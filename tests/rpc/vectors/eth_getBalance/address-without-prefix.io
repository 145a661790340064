// hex without 0x: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["f39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 0x-prefixed hex bytes, got 'f39Fd6e51aad88F6F4ce6aB8827279cffFb92266'"}}
