// a filter address must be 20 bytes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"address":["0x12"]}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 20 bytes, got 1"}}
