// logs with a malformed filter: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["logs",{"address":1}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 0x-prefixed hex bytes, got 1"}}
