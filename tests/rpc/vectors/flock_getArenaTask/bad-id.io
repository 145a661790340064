// not a quantity: -32602
>> {"jsonrpc":"2.0","id":1,"method":"flock_getArenaTask","params":["task-0"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: quantity must be a 0x-prefixed hex number without leading zeros, got 'task-0'"}}
