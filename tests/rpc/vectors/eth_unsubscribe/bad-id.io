// a subscription id is 16 bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_unsubscribe","params":["0x1"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: subscription id must be 0x-prefixed hex bytes, got '0x1'"}}
