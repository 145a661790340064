// an unknown method: -32601
>> {"jsonrpc":"2.0","id":1,"method":"eth_noSuchMethod"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method eth_noSuchMethod does not exist/is not available"}}
