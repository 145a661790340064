// a malformed filter: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_newFilter","params":[{"topics":"nope"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: topics must be an array of at most 4 entries"}}
