// the parameter must be 0x-prefixed hex: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["hello"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: data must be 0x-prefixed hex bytes, got 'hello'"}}
