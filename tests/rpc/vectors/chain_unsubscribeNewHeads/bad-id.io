// not a subscription id: -32602
>> {"jsonrpc":"2.0","id":1,"method":"chain_unsubscribeNewHeads","params":[1]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: subscription id must be 0x-prefixed hex bytes, got 1"}}
