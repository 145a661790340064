// an empty batch: one -32600 error, not an array
>> []
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: empty batch"}}
