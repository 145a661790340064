// a 19-byte address: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x11111111111111111111111111111111111111","latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 20 bytes, got 19"}}
