// eth_chainId takes no parameters
>> {"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["0x1"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: eth_chainId takes at most 0 parameters, got 1"}}
