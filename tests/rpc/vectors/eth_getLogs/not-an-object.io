// the filter must be an object: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":["latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: filter must be a JSON object"}}
