// JSON with single quotes is not JSON: -32700
>> {'jsonrpc':'2.0','id':1}
<< {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}}
