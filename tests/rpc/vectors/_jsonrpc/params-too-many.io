// more parameters than the method takes: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[1]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: eth_chainId takes at most 0 parameters, got 1"}}
