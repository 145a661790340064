// data must be whole bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000801","data":"0x123"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: input must be 0x-prefixed hex bytes, got '0x123'"}}
