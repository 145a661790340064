// a body that is not JSON: -32700 with id null
>> {"jsonrpc":"2.0","id":1,"method":"eth_chainId"
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: Expecting ',' delimiter: line 1 column 47 (char 46)"}}
