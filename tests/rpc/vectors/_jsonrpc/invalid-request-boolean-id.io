// a boolean id is not a valid id: -32600 with id null
>> {"jsonrpc":"2.0","id":true,"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: needs jsonrpc \"2.0\", a string method and a string or number id"}}
