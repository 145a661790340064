// the address is required: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: missing parameter 0 (address)"}}
