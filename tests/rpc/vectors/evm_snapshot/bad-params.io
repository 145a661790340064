// takes no parameters: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_snapshot","params":[1]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: evm_snapshot takes at most 0 parameters, got 1"}}
