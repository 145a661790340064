// params must be an array or an object: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":"0x00"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: params must be an array"}}
