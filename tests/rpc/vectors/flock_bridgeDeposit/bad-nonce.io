// not a quantity: -32602
>> {"jsonrpc":"2.0","id":1,"method":"flock_bridgeDeposit","params":["zero"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: quantity must be a 0x-prefixed hex number without leading zeros, got 'zero'"}}
