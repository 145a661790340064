// a topic must be 32 bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"topics":["0x1234"]}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: topic must be 32 bytes, got 2"}}
