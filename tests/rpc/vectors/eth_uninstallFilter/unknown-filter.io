// an id never installed: false
>> {"jsonrpc":"2.0","id":1,"method":"eth_uninstallFilter","params":["0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"]}
<< {"jsonrpc":"2.0","id":1,"result":false}
