// a JSON value that is not a request object: -32600
>> 42
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: expected a JSON object"}}
