// an id never installed: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getFilterChanges","params":["0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"filter not found"}}
