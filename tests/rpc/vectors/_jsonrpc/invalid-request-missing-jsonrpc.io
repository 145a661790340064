// jsonrpc is required: -32600, the id echoed
>> {"id":1,"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"invalid request: needs jsonrpc \"2.0\", a string method and a string or number id"}}
