// takes no parameters: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter","params":[{}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: eth_newBlockFilter takes at most 0 parameters, got 1"}}
