// the call must be an object: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":["0x01","latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: call object must be a JSON object"}}
