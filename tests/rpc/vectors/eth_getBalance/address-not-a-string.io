// a number is not an address: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":[42,"latest"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 0x-prefixed hex bytes, got 42"}}
