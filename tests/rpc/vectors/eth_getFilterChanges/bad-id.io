// a filter id is 16 bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getFilterChanges","params":["0x01"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: filter id must be 16 bytes, got 1"}}
