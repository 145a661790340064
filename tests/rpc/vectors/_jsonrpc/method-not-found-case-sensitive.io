// method names are case-sensitive
>> {"jsonrpc":"2.0","id":1,"method":"ETH_CHAINID"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method ETH_CHAINID does not exist/is not available"}}
