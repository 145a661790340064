// a fractional id is refused (-32600, id null)
>> {"jsonrpc":"2.0","id":1.5,"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: needs jsonrpc \"2.0\", a string method and a string or number id"}}
