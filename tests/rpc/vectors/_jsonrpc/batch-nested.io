// a batch inside a batch is an invalid item
>> [[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}]]
<< [{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}}]
