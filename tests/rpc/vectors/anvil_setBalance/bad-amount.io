// an amount must be a quantity: -32602
>> {"jsonrpc":"2.0","id":1,"method":"anvil_setBalance","params":["0x000000000000000000000000000000000000dead",5]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: quantity must be a 0x-prefixed hex number without leading zeros, got 5"}}
