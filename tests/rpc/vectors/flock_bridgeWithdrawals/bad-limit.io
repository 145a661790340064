// not a quantity: -32602
>> {"jsonrpc":"2.0","id":1,"method":"flock_bridgeWithdrawals","params":["0x0",-1]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: quantity must be a 0x-prefixed hex number without leading zeros, got -1"}}
