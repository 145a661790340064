// a key must be hex bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"state_getStorage","params":["balances"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: data must be 0x-prefixed hex bytes, got 'balances'"}}
