// no task id: -32602
>> {"jsonrpc":"2.0","id":1,"method":"flock_getTask"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: missing parameter 0 (task)"}}
