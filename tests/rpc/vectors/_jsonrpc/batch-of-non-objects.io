// each non-object item of a batch gets its own -32600
>> [1,2,3]
<< [{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}}]
