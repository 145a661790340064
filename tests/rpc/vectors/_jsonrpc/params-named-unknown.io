// an unknown named parameter: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","blok":"0x0"}}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: unknown parameters ['blok']"}}
