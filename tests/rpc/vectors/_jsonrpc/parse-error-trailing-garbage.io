// a request followed by more text is not one JSON value
>> {"jsonrpc":"2.0","id":1,"method":"eth_chainId"} x
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: Extra data: line 1 column 49 (char 48)"}}
