// not hex: -32602
>> {"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0xnope"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: data must be 0x-prefixed hex bytes, got '0xnope'"}}
