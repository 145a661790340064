// full must be a boolean: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x0","yes"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: expected a boolean, got 'yes'"}}
