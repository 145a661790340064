// an empty body is a parse error
>> 
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: Expecting value: line 1 column 1 (char 0)"}}
