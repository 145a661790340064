// not a filter id: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_uninstallFilter","params":["latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: filter id must be 0x-prefixed hex bytes, got 'latest'"}}
