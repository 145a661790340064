// an invalid request without id still gets an error (id null)
>> {"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: needs jsonrpc \"2.0\", a string method and a string or number id"}}
