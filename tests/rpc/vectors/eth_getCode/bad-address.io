// not an address: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getCode","params":["0x1234","latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 20 bytes, got 2"}}
