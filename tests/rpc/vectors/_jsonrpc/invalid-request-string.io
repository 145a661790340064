// a JSON string is not a request
>> "eth_chainId"
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}}
