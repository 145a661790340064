// an unknown filter field: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromblock":"0x0"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: unknown filter fields ['fromblock']"}}
